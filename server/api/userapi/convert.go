package userapi

import (
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/api/internal/edge"
	"github.com/backbeat/backbeat/server/domain"
)

func userToProto(u *domain.User) *userv1.User {
	if u == nil {
		return nil
	}
	roles := make([]userv1.Role, 0, len(u.Roles))
	for _, r := range u.Roles {
		if pr := roleToProto(r); pr != userv1.Role_ROLE_UNSPECIFIED {
			roles = append(roles, pr)
		}
	}
	return &userv1.User{
		Id:          u.ID,
		Username:    u.Username,
		Email:       u.Email,
		DisplayName: u.DisplayName,
		Roles:       roles,
		CreateTime:  edge.Timestamp(u.CreateTime),
		UpdateTime:  edge.Timestamp(u.UpdateTime),
		Disabled:    u.Disabled,
	}
}

func usersToProto(us []*domain.User) []*userv1.User {
	out := make([]*userv1.User, len(us))
	for i, u := range us {
		out[i] = userToProto(u)
	}
	return out
}

func tokensToProto(t domain.Tokens) *userv1.Tokens {
	return &userv1.Tokens{
		AccessToken:            t.AccessToken,
		TokenType:              "Bearer",
		AccessTokenExpireTime:  edge.Timestamp(t.AccessTokenExpire),
		RefreshToken:           t.RefreshToken,
		RefreshTokenExpireTime: edge.Timestamp(t.RefreshTokenExpire),
	}
}

// roleToProto maps a stored role; one this build does not know becomes
// UNSPECIFIED, which userToProto drops rather than failing the whole user.
func roleToProto(r domain.Role) userv1.Role {
	switch r {
	case domain.RoleListener:
		return userv1.Role_ROLE_LISTENER
	case domain.RoleArtist:
		return userv1.Role_ROLE_ARTIST
	case domain.RoleAdmin:
		return userv1.Role_ROLE_ADMIN
	default:
		return userv1.Role_ROLE_UNSPECIFIED
	}
}

// roleFromProto maps a requested role; UNSPECIFIED and numbers outside the
// enum (proto3 enums are open) are not roles.
func roleFromProto(r userv1.Role) (domain.Role, bool) {
	switch r {
	case userv1.Role_ROLE_LISTENER:
		return domain.RoleListener, true
	case userv1.Role_ROLE_ARTIST:
		return domain.RoleArtist, true
	case userv1.Role_ROLE_ADMIN:
		return domain.RoleAdmin, true
	default:
		return "", false
	}
}
